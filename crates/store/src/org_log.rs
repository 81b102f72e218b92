//! Each organisation's own log: sanctions decided on its memberships, the
//! rectification reports it submits and the reviews that end a suspension. The log is
//! append-only and hash-chained like a case's event log (see [`crate::chain`]); an
//! entry that changes a membership's standing writes the membership change in the same
//! transaction, so the membership history and the log never disagree.

use async_trait::async_trait;
use serde_json::Value;
use vulnrelay_domain::Timestamp;

use crate::{MembershipChange, NewOutboxMessage, Result};

/// An entry to append to an organisation's log.
#[derive(Debug, Clone)]
pub struct NewOrgEvent {
    /// The membership scheme it concerns, e.g. `miit-threat-sharing`.
    pub scheme: String,
    /// When it took effect.
    pub at: Timestamp,
    /// The entry (`vulnrelay/org-event` JSON); stored as canonical JSON.
    pub body: Value,
    /// The account that recorded it.
    pub recorded_by: Option<String>,
}

/// A stored entry of an organisation's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrgEvent {
    /// The organisation.
    pub org_id: String,
    /// Its position in the log, from 1.
    pub seq: i64,
    /// The membership scheme.
    pub scheme: String,
    /// When it took effect.
    pub at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// The entry, as canonical JSON text.
    pub body: String,
    /// The previous entry's hash (empty for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// Storage of organisations' own logs.
#[async_trait]
pub trait OrgLog: Send + Sync {
    /// Appends `event` to `org_id`'s log, with the membership change it causes and the
    /// outbox messages it sends, in one transaction. `expected_seq` (the last sequence
    /// number the caller saw) makes a racing writer fail with `Stale`.
    async fn append_org_event(
        &self,
        org_id: &str,
        expected_seq: Option<i64>,
        event: &NewOrgEvent,
        membership: Option<&MembershipChange>,
        outbox: &[NewOutboxMessage],
        at: Timestamp,
    ) -> Result<StoredOrgEvent>;

    /// An organisation's log, oldest first.
    async fn org_events(&self, org_id: &str) -> Result<Vec<StoredOrgEvent>>;

    /// The organisations that have a log, by id.
    async fn org_log_ids(&self) -> Result<Vec<String>>;
}
