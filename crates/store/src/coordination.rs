//! Multi-party coordination: the private notes vendors send the platform with their
//! status events (kept beside the case's event log, never in it, so a case file, an
//! export or another vendor never sees them), and notices to participants — "you were
//! added to a case", "you have not answered" — delivered through the delivery outbox
//! once per key.

use async_trait::async_trait;
use serde_json::Value;
use vulnrelay_domain::Timestamp;

use crate::Result;

/// A private note to write with a change: it belongs to one of the change's events.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateNote {
    /// The position of the event in the change's `events`.
    pub event: usize,
    /// The organisation that wrote it.
    pub org_id: String,
    /// The note.
    pub note: String,
}

/// A private note as stored, with the event it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNote {
    /// The case.
    pub case_id: String,
    /// The event's position in the case's log.
    pub seq: i64,
    /// The organisation that wrote it.
    pub org_id: String,
    /// The note.
    pub note: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// A message to an organisation about a case, sent once per `key` to its inbox and
/// each of its active webhooks.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// What makes it one message (e.g. `coordination.added.CASE.ORG`): a notice whose
    /// key was sent before is not sent again.
    pub key: String,
    /// The case.
    pub case_id: String,
    /// The recipient.
    pub org_id: String,
    /// The delivery topic, e.g. `coordination.added`.
    pub topic: String,
    /// The message delivered.
    pub payload: Value,
}

/// When the delivery worker reminds the vendors of a case that have not answered: first
/// after `after_days` days of silence, then every `every_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSchedule {
    /// Days without an answer before the first reminder.
    pub after_days: i64,
    /// Days between reminders after that.
    pub every_days: i64,
}

/// A case's own reminder schedule, as set by one of its platforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSchedule {
    /// The case.
    pub case_id: String,
    /// Its schedule; `None`: no scheduled reminders on this case.
    pub schedule: Option<ReminderSchedule>,
    /// Who set it (account id).
    pub set_by: String,
    /// When.
    pub set_at: Timestamp,
}

/// A downstream vendor that a platform of a case told something and that has not
/// answered since, as the case's views keep it (`CaseProjection::waiting`): what a
/// scheduled reminder is due from, and the reminder beat's cursor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Silence {
    /// When a platform of the case last told the vendor something.
    pub last_told: Timestamp,
    /// The case.
    pub case_id: String,
    /// The vendor's organisation id.
    pub vendor: String,
}

/// Storage of coordination's notes and notices.
#[async_trait]
pub trait Coordination: Send + Sync {
    /// A case's private notes, in log order.
    async fn private_notes(&self, case_id: &str) -> Result<Vec<StoredNote>>;
    /// Sends each notice not sent before (by key) through the delivery outbox, in one
    /// transaction; returns how many were sent.
    async fn send_notices(&self, notices: &[Notice], at: Timestamp) -> Result<usize>;
    /// The last event recorded while the case had one product, when products joined it
    /// later (`None`: none did): the events up to it that name no product are about the
    /// case's first product.
    async fn one_product_until(&self, case_id: &str) -> Result<Option<i64>>;
    /// The keys of the notices sent for a case, with when.
    async fn notices_sent(&self, case_id: &str) -> Result<Vec<(String, Timestamp)>>;
    /// Sets (`Some`) or clears (`None`: the platform's default applies again) a case's
    /// own reminder schedule.
    async fn set_case_schedule(&self, case_id: &str, schedule: Option<&CaseSchedule>) -> Result<()>;
    /// Records that every product of a case but its first joined it after event
    /// `seq` (a mirror of a case whose downstream vendors joined later), where not
    /// recorded yet: see [`Coordination::one_product_until`].
    async fn products_joined_after(&self, case_id: &str, seq: i64) -> Result<()>;
    /// Every case's own reminder schedule.
    async fn case_schedules(&self) -> Result<Vec<CaseSchedule>>;
    /// Case `case_id`'s own reminder schedule, if one was set.
    async fn case_schedule(&self, case_id: &str) -> Result<Option<CaseSchedule>>;
    /// One page of the silences of every case, of the vendors last told at or before
    /// `told_by`, in order of when they were told (then case and vendor), after
    /// `after`: read through an index, so a page costs what it returns.
    async fn silences(&self, told_by: Timestamp, after: Option<&Silence>, limit: i64)
    -> Result<Vec<Silence>>;
    /// The silences of the cases `case_ids`, by case and vendor.
    async fn silences_of(&self, case_ids: &[String]) -> Result<Vec<Silence>>;
    /// Which of the notice keys `keys` were sent before.
    async fn sent_keys(&self, keys: &[String]) -> Result<std::collections::HashSet<String>>;
}

/// The statements of the reminder beat, shared by both back ends (`$N` placeholders),
/// public so that a test can have PostgreSQL EXPLAIN them against the indexes.
pub mod sql {
    /// A page of silences: last told at or before `$1`, after the key (`$2` told, `$3`
    /// case, `$4` vendor), at most `$5`, through `case_waiting_told` (migration 0032).
    pub const SILENCES: &str = "SELECT case_id, vendor, last_told FROM case_waiting \
         WHERE last_told <= $1 AND (last_told, case_id, vendor) > ($2, $3, $4) \
         ORDER BY last_told, case_id, vendor LIMIT $5";
}
