//! Risk warnings (风险预警) and their delivery: asset inventories of subscriber
//! organisations, one warning per (organisation, vulnerability), acknowledgements and
//! per-asset status, webhook subscriptions, the delivery outbox and deadline reminders.
//!
//! The delivery outbox (`deliveries`) is written in the transaction of the warning or
//! reminder that causes it, one row per channel (the in-app inbox and each active
//! webhook of the organisation). Workers claim due rows for a lease — with `FOR UPDATE
//! SKIP LOCKED` on PostgreSQL, through the single writer connection on SQLite — so
//! several server processes share the work; a claim carries a token, and only the
//! holder of the current claim may record its outcome. Delivery is at least once: a
//! worker that dies mid-delivery leaves its rows to be claimed again when the lease
//! lapses.

use async_trait::async_trait;
use serde_json::Value;
use vulnrelay_domain::Timestamp;

use crate::Result;

/// One component of an asset group, as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetComponent {
    /// Name (with the group, e.g. `org.apache.logging.log4j:log4j-core`, when known).
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL, which is what matching reads.
    pub purl: Option<String>,
    /// The component's `bom-ref` in the uploaded SBOM.
    pub bom_ref: Option<String>,
}

/// A named asset group of an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetGroup {
    /// Id.
    pub id: String,
    /// The organisation.
    pub org_id: String,
    /// Its name, unique within the organisation.
    pub name: String,
    /// Where the current components came from: `sbom`, `scan` or `manual`.
    pub source: String,
    /// The number of uploads so far (the current one included).
    pub revision: i64,
    /// How many components it has now.
    pub components: i64,
    /// First upload.
    pub created_at: Timestamp,
    /// Latest upload.
    pub updated_at: Timestamp,
}

/// One upload of an asset group, kept in its history.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRevision {
    /// 1 for the first upload.
    pub revision: i64,
    /// `sbom`, `scan` or `manual`.
    pub source: String,
    /// The uploading account.
    pub uploaded_by: Option<String>,
    /// When.
    pub uploaded_at: Timestamp,
    /// The components uploaded.
    pub components: Vec<AssetComponent>,
}

/// A component of some organisation's current inventory, for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgComponent {
    /// The organisation.
    pub org_id: String,
    /// The asset group's name.
    pub group: String,
    /// The component.
    pub component: AssetComponent,
}

/// A warning's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningState {
    /// Some of the organisation's assets are affected.
    Active,
    /// None is any longer (the inventory or the record changed).
    Withdrawn,
}

impl WarningState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningState::Active => "active",
            WarningState::Withdrawn => "withdrawn",
        }
    }
}

/// What a warning should say now, as the matching engine computed it.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningDraft {
    /// The organisation warned.
    pub org_id: String,
    /// The vulnerability's primary id.
    pub vulnerability_id: String,
    /// The case the record belongs to, if any.
    pub case_id: Option<String>,
    /// Active, or withdrawn (nothing affected any more).
    pub state: WarningState,
    /// The TLP label, e.g. `TLP:AMBER` before publication, `TLP:CLEAR` after.
    pub tlp: String,
    /// Severity, e.g. `critical`.
    pub severity: Option<String>,
    /// The warning's content (JSON): what the unit is told.
    pub content: Value,
    /// A hash of `content`: an unchanged fingerprint writes nothing.
    pub fingerprint: String,
}

/// A stored warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Id.
    pub id: String,
    /// The organisation warned.
    pub org_id: String,
    /// The vulnerability's primary id.
    pub vulnerability_id: String,
    /// The case of the record, if any.
    pub case_id: Option<String>,
    /// Active or withdrawn.
    pub state: WarningState,
    /// TLP label.
    pub tlp: String,
    /// Severity.
    pub severity: Option<String>,
    /// Content as last sent.
    pub content: Value,
    /// Hash of the content.
    pub fingerprint: String,
    /// 1 for the first version; each change that was sent again adds one.
    pub revision: i64,
    /// First issued.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// What a re-match needs to know of a stored warning: whose, about what, and whether
/// its content changed (the fingerprint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningSummary {
    /// Id.
    pub id: String,
    /// The organisation warned.
    pub org_id: String,
    /// The vulnerability.
    pub vulnerability_id: String,
    /// Active or withdrawn.
    pub state: WarningState,
    /// The hash the engine computed for its content.
    pub fingerprint: String,
}

/// Which warnings to list, newest change first (then by id).
#[derive(Debug, Clone, Default)]
pub struct WarningFilter {
    /// Of this organisation only.
    pub org_id: Option<String>,
    /// For this vulnerability only.
    pub vulnerability_id: Option<String>,
    /// Only those after this position in that order (the next page).
    pub after: Option<WarningCursor>,
    /// At most this many (all when `None`).
    pub limit: Option<i64>,
}

/// A position in the listing of warnings: the last warning of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningCursor {
    /// Its last change.
    pub updated_at: Timestamp,
    /// Its id (orders warnings changed at the same instant).
    pub id: String,
}

impl WarningCursor {
    /// The position of `warning`.
    pub fn of(warning: &Warning) -> WarningCursor {
        WarningCursor { updated_at: warning.updated_at, id: warning.id.clone() }
    }
}

/// An acknowledgement of a warning by an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledgement {
    /// The account.
    pub account_id: String,
    /// The revision acknowledged.
    pub revision: i64,
    /// When.
    pub at: Timestamp,
}

/// A unit's report on one asset group named in a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetStatus {
    /// The asset group's name.
    pub asset: String,
    /// `affected`, `mitigated`, `fixed` or `not_affected`.
    pub status: String,
    /// For `not_affected`: the VEX justification (CycloneDX vocabulary).
    pub justification: Option<String>,
    /// Free text.
    pub detail: Option<String>,
    /// The reporting account.
    pub by_account: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A webhook subscription of an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Id.
    pub id: String,
    /// The organisation.
    pub org_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The HMAC-SHA256 key deliveries are signed with.
    pub secret: String,
    /// Whether new messages go to it.
    pub active: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

/// The channel of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The organisation's in-app inbox.
    Inbox,
    /// A webhook subscription.
    Webhook,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Inbox => "inbox",
            Channel::Webhook => "webhook",
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet delivered: due at `next_attempt_at`.
    Pending,
    /// Delivered.
    Delivered,
    /// Given up after the configured attempts; can be replayed.
    Dead,
}

impl DeliveryState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    /// The state a stored name names.
    pub fn parse(text: &str) -> Option<DeliveryState> {
        match text {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "dead" => Some(DeliveryState::Dead),
            _ => None,
        }
    }
}

/// A message to deliver on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Id.
    pub id: String,
    /// The idempotency key sent with every attempt and replay.
    pub idempotency_key: String,
    /// The recipient organisation.
    pub org_id: String,
    /// Inbox or webhook.
    pub channel: Channel,
    /// The webhook, for webhook deliveries.
    pub webhook_id: Option<String>,
    /// `warning.issued`, `warning.updated`, `reminder.24h`, ...
    pub topic: String,
    /// The warning, for warning deliveries.
    pub warning_id: Option<String>,
    /// The body sent.
    pub payload: Value,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made (claims), since it was created or last replayed.
    pub attempts: i64,
    /// When it is due.
    pub next_attempt_at: Timestamp,
    /// The token of the current claim (only its holder may record the outcome).
    pub claim_token: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
}

/// The outcome of one attempt at a claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Delivered (for the inbox: the message is put in the inbox in the same transaction).
    Delivered,
    /// Failed; try again at this time.
    Retry {
        /// When.
        at: Timestamp,
        /// Why it failed.
        error: String,
    },
    /// Failed for the last time: dead letter.
    Dead {
        /// Why it failed.
        error: String,
    },
}

/// The outcome of an attempt at a delivery, under the claim it was made with.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryResult {
    /// The delivery.
    pub id: String,
    /// The claim it was attempted under.
    pub claim_token: String,
    /// The attempt's number.
    pub attempt: i64,
    /// What happened.
    pub outcome: Outcome,
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Its number (1 for the first, counted again from 1 after a replay).
    pub attempt: i64,
    /// When it ended.
    pub at: Timestamp,
    /// `delivered`, `retry`, `dead` or `replayed`.
    pub outcome: String,
    /// The failure, if any.
    pub error: Option<String>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Of this organisation only.
    pub org_id: Option<String>,
    /// In this state only.
    pub state: Option<DeliveryState>,
    /// Of this warning only.
    pub warning_id: Option<String>,
    /// Deliveries created after this id (cursor: the previous page's last id, by
    /// creation order).
    pub after: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// How many deliveries are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// Pending.
    pub pending: i64,
    /// Delivered.
    pub delivered: i64,
    /// Dead letters.
    pub dead: i64,
}

/// A message in an organisation's in-app inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxMessage {
    /// The delivery that put it there.
    pub delivery_id: String,
    /// The organisation.
    pub org_id: String,
    /// Topic.
    pub topic: String,
    /// Body.
    pub payload: Value,
    /// When it arrived.
    pub at: Timestamp,
}

/// A deadline reminder to send once: for one obligation of one organisation on one
/// case, at one stage (`24h`, `4h`, `overdue`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReminder {
    /// The case.
    pub case_id: String,
    /// The obligation (`pack/rule`).
    pub rule_id: String,
    /// The bound organisation.
    pub org_id: String,
    /// `24h`, `4h` or `overdue`.
    pub stage: String,
    /// The deadline.
    pub due_at: Option<Timestamp>,
    /// The message delivered.
    pub payload: Value,
}

/// What a change owes a re-match of warnings for (migration 0030), marked in the
/// change's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RematchKind {
    /// A record was saved: it is matched again.
    Record,
    /// An event was appended to a case with records (its publication or its parties
    /// decide who may be warned): the case's records are matched again.
    Case,
    /// An organisation's asset groups, memberships or accounts changed: its inventory
    /// is matched again.
    Org,
}

impl RematchKind {
    /// The kind as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RematchKind::Record => "record",
            RematchKind::Case => "case",
            RematchKind::Org => "org",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<RematchKind> {
        [RematchKind::Record, RematchKind::Case, RematchKind::Org].into_iter().find(|k| k.as_str() == text)
    }
}

/// A page of the changes owed a re-match, in (kind, id) order after (`$1`, `$2`), at
/// most `$3`.
pub const REMATCH_MARKS_PAGE: &str =
    "SELECT kind, id, mark FROM rematch_marks WHERE (kind, id) > ($1, $2) ORDER BY kind, id LIMIT $3";

/// A change owed a re-match: what changed, and the mark it left (a later change of the
/// same thing leaves another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RematchMark {
    /// What changed.
    pub kind: RematchKind,
    /// The record's, case's or organisation's id.
    pub id: String,
    /// The mark: the sweep removes it only while it is still this one.
    pub mark: i64,
}

/// Storage of asset inventories, warnings and their delivery.
#[async_trait]
pub trait Warnings: Send + Sync {
    /// Creates or replaces the components of an organisation's asset group, keeping
    /// the previous ones in its history. Returns the group.
    async fn put_asset_group(
        &self,
        org_id: &str,
        name: &str,
        source: &str,
        components: &[AssetComponent],
        by: Option<&str>,
        at: Timestamp,
    ) -> Result<AssetGroup>;
    /// An organisation's asset groups, by name (every organisation's when `None`).
    async fn asset_groups(&self, org_id: Option<&str>) -> Result<Vec<AssetGroup>>;
    /// An asset group and its current components.
    async fn asset_group(&self, org_id: &str, name: &str) -> Result<(AssetGroup, Vec<AssetComponent>)>;
    /// An asset group's uploads, oldest first.
    async fn asset_history(&self, org_id: &str, name: &str) -> Result<Vec<AssetRevision>>;
    /// The current components of every asset group (of one organisation, if given).
    async fn inventory(&self, org_id: Option<&str>) -> Result<Vec<OrgComponent>>;
    /// The current components whose package key is one of `keys`
    /// ([`crate::match_keys::component_key`]), in the order of [`Warnings::inventory`]:
    /// every component a record of those packages may match, read through the index of
    /// components by package.
    async fn inventory_for_packages(&self, keys: &[String]) -> Result<Vec<OrgComponent>>;

    /// One page of the changes owed a re-match, in (kind, id) order after `after`.
    async fn rematch_marks(&self, after: Option<&RematchMark>, limit: i64) -> Result<Vec<RematchMark>>;
    /// Removes these marks where each is still the one read (a change since keeps its
    /// new mark); on PostgreSQL a mark a writer holds is skipped and read again by the
    /// next sweep.
    async fn clear_rematch_marks(&self, marks: &[RematchMark]) -> Result<()>;

    /// Writes warnings as drafted: a new warning, or a new revision of one whose
    /// fingerprint changed, with its deliveries (the inbox and every active webhook of
    /// the organisation) in the same transaction; an unchanged draft writes nothing.
    /// A withdrawn draft for which no warning exists writes nothing; withdrawing is
    /// recorded but not delivered. Returns the warnings written.
    async fn save_warnings(&self, drafts: &[WarningDraft], at: Timestamp) -> Result<Vec<Warning>>;
    /// A warning.
    async fn warning(&self, id: &str) -> Result<Warning>;
    /// Warnings, newest change first.
    async fn warnings(&self, filter: &WarningFilter) -> Result<Vec<Warning>>;
    /// The summaries of warnings (no content), by organisation and vulnerability.
    async fn warning_summaries(&self, filter: &WarningFilter) -> Result<Vec<WarningSummary>>;
    /// The summaries of the warnings of these records, by organisation and
    /// vulnerability, in one statement whatever their number.
    async fn warning_summaries_of(&self, vulnerability_ids: &[String]) -> Result<Vec<WarningSummary>>;
    /// Records that an account acknowledged the warning's current revision.
    async fn acknowledge(&self, warning_id: &str, account_id: &str, at: Timestamp)
    -> Result<Acknowledgement>;
    /// A warning's acknowledgements.
    async fn acknowledgements(&self, warning_id: &str) -> Result<Vec<Acknowledgement>>;
    /// Records a unit's status of one asset group named in the warning.
    async fn set_asset_status(&self, warning_id: &str, status: &AssetStatus) -> Result<()>;
    /// The latest status of each asset group of a warning, by asset.
    async fn asset_statuses(&self, warning_id: &str) -> Result<Vec<AssetStatus>>;

    /// Adds a webhook subscription.
    async fn create_webhook(&self, org_id: &str, url: &str, secret: &str, at: Timestamp) -> Result<Webhook>;
    /// An organisation's webhooks (every organisation's when `None`).
    async fn webhooks(&self, org_id: Option<&str>) -> Result<Vec<Webhook>>;
    /// A webhook.
    async fn webhook(&self, id: &str) -> Result<Webhook>;
    /// Stops sending new messages to a webhook (deliveries already written stay).
    async fn deactivate_webhook(&self, id: &str) -> Result<()>;

    /// Claims up to `limit` pending deliveries due at `now` whose previous claim (if
    /// any) has lapsed, for `lease_seconds`: each gets a new claim token and one more
    /// attempt. Concurrent claimers never get the same row.
    async fn claim_deliveries(&self, limit: i64, now: Timestamp, lease_seconds: i64)
    -> Result<Vec<Delivery>>;
    /// Records the outcomes of attempts, in one transaction; an outcome whose claim is
    /// no longer current is ignored. Delivered inbox messages land in the inbox in the
    /// same transaction. Returns how many outcomes were recorded.
    async fn finish_deliveries(&self, results: &[DeliveryResult], at: Timestamp) -> Result<usize>;
    /// Deliveries, oldest first.
    async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>>;
    /// A delivery.
    async fn delivery(&self, id: &str) -> Result<Delivery>;
    /// A delivery's recorded attempts, oldest first.
    async fn delivery_attempts(&self, id: &str) -> Result<Vec<Attempt>>;
    /// Sends a delivery again (dead, or delivered and asked for again): pending, due
    /// now, attempts counted from zero, with the same idempotency key.
    async fn replay_delivery(&self, id: &str, at: Timestamp) -> Result<Delivery>;
    /// How many deliveries are pending, delivered and dead.
    async fn delivery_counts(&self) -> Result<DeliveryCounts>;
    /// An organisation's inbox, newest first.
    async fn inbox(&self, org_id: &str, limit: i64) -> Result<Vec<InboxMessage>>;

    /// Records each reminder not sent before and writes its deliveries, in one
    /// transaction; reminders already sent are skipped. Returns how many were new.
    async fn send_reminders(&self, reminders: &[NewReminder], at: Timestamp) -> Result<usize>;
}
