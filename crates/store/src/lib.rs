#![doc = include_str!("../README.md")]

pub mod chain;
pub mod checkpoint;
pub mod coordination;
pub mod federation;
mod group;
pub mod match_keys;
mod model;
pub mod org_log;
pub mod org_pages;
mod postgres;
pub mod projections;
pub mod publication;
pub mod records;
mod rows;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod warnings;

use std::sync::Arc;

use async_trait::async_trait;
use vulnrelay_domain::Timestamp;

pub use coordination::{
    CaseSchedule, Coordination, Notice, PrivateNote, ReminderSchedule, Silence, StoredNote,
};
pub use federation::Federation;
pub use model::*;
pub use org_log::{NewOrgEvent, OrgLog, StoredOrgEvent};
pub use org_pages::OrgFilter;
pub use postgres::PgStore;
pub use projections::{Projections, Projector};
pub use publication::Publications;
pub use records::{AdvisoryParts, RecordRevision, Records, StoredVulnerability};
pub use sqlite::SqliteStore;
pub use warnings::Warnings;

/// How many gate refusals are kept per case (the latest).
pub const GATE_REFUSALS_KEPT: i64 = 200;

/// How many rows a pass must have removed from a queue of marks (relay marks, the
/// publication queue, unsigned chains) before it compacts that table: below it the dead
/// rows cost less than the vacuum.
pub const COMPACT_AFTER: usize = 5_000;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("{what} `{id}` not found")]
    NotFound {
        /// The kind of record.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A uniqueness constraint refused the write (e.g. an e-mail address already used).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A reference to a record that does not exist (e.g. an unknown organisation).
    #[error("invalid reference: {0}")]
    InvalidReference(String),
    /// Another writer changed the case since the caller read it.
    #[error("case `{case_id}` changed: expected {expected} events, found {found}")]
    Stale {
        /// The case.
        case_id: String,
        /// What the caller saw.
        expected: i64,
        /// What the log holds.
        found: i64,
    },
    /// A purge would delete records younger than their retention period.
    #[error(
        "refused: purging receipts received before {before} would delete receipts younger than the \
         {months}-month retention period (the oldest that may go were received before {limit})"
    )]
    RetentionRefused {
        /// The purge's cut-off asked for.
        before: String,
        /// The retention in months.
        months: u32,
        /// The latest cut-off allowed.
        limit: String,
    },
    /// Stored data that cannot be read back (a bad time, unknown role, ...).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// Migrating the schema failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::InvalidReference(db.message().to_owned())
            }
            _ => StoreError::Database(error),
        }
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A new case imported from a case file (no report, no receipt).
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Its title.
    pub title: String,
    /// Its time zone.
    pub timezone: String,
    /// The reporting organisation.
    pub reporter_org: String,
    /// The platform it is on.
    pub platform_org: String,
    /// Parties (case-file objects).
    pub parties: Vec<Fragment>,
    /// Products (case-file objects).
    pub products: Vec<Fragment>,
    /// Events, in order.
    pub events: Vec<NewEvent>,
    /// When it was opened.
    pub created_at: Timestamp,
}

/// The store: everything vulnrelay keeps. Every method runs in one transaction; the
/// event log is only ever appended to.
#[async_trait]
pub trait Store:
    Records + OrgLog + Warnings + Federation + Coordination + Projections + Publications + Send + Sync + 'static
{
    /// The database behind it.
    fn backend(&self) -> Backend;

    /// Adds an organisation.
    async fn create_org(&self, org: &Organisation) -> Result<()>;
    /// An organisation.
    async fn org(&self, id: &str) -> Result<Organisation>;
    /// Every organisation (with `status`, if given), by id.
    async fn list_orgs(&self, status: Option<Status>) -> Result<Vec<Organisation>>;
    /// The organisations `filter` takes, by id: a keyset page entered through an index
    /// (by id, by role, or by search key; see [`org_pages`]) that reads what it returns.
    async fn orgs_page(&self, filter: &org_pages::OrgFilter<'_>) -> Result<Vec<Organisation>>;
    /// Approves or rejects a pending organisation; refused (conflict) if not pending.
    async fn decide_org(
        &self,
        id: &str,
        status: Status,
        by: &str,
        note: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    /// Records a membership change (history is append-only).
    async fn record_membership_change(&self, change: &MembershipChange) -> Result<()>;
    /// An organisation's membership history, oldest first.
    async fn membership_history(&self, org_id: &str) -> Result<Vec<MembershipChange>>;
    /// The organisations among `ids` that exist, each with its membership history
    /// (oldest first), in one statement whatever their number (one snapshot): what a
    /// request naming several organisations reads instead of two round trips per
    /// organisation.
    async fn orgs_with_history(&self, ids: &[&str]) -> Result<Vec<(Organisation, Vec<MembershipChange>)>>;

    /// Adds an account.
    async fn create_account(&self, account: &NewAccount, at: Timestamp) -> Result<Account>;
    /// An account by id.
    async fn account(&self, id: &str) -> Result<Account>;
    /// An account by e-mail address.
    async fn account_by_email(&self, email: &str) -> Result<Account>;
    /// Every account (with `status`, if given), oldest first.
    async fn list_accounts(&self, status: Option<Status>) -> Result<Vec<Account>>;
    /// Approves or rejects a pending account; refused (conflict) if not pending.
    async fn decide_account(&self, id: &str, status: Status) -> Result<()>;

    /// Stores an API token's hash.
    async fn create_token(
        &self,
        account_id: &str,
        name: &str,
        token_hash: &str,
        at: Timestamp,
    ) -> Result<ApiToken>;
    /// The account of an unrevoked token.
    async fn account_by_token(&self, token_hash: &str) -> Result<Account>;
    /// An account's tokens.
    async fn list_tokens(&self, account_id: &str) -> Result<Vec<ApiToken>>;
    /// Revokes one of an account's tokens.
    async fn revoke_token(&self, account_id: &str, token_id: &str, at: Timestamp) -> Result<()>;

    /// Stores a session under the hash of its cookie value.
    async fn create_session(&self, id_hash: &str, session: &Session, at: Timestamp) -> Result<()>;
    /// A session by the hash of its cookie value.
    async fn session(&self, id_hash: &str) -> Result<Session>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    /// Takes a report in: opens its case with its first events, stores the report and
    /// its attachments, writes the receipt and the outbox message, in one transaction.
    /// A known idempotency key returns the first intake and writes nothing.
    async fn take_report(&self, report: &NewReport) -> Result<Intake>;
    /// Opens a case from a case file (no report, no receipt).
    async fn import_case(&self, case: &NewCase) -> Result<String>;
    /// Opens several cases from case files in one transaction (a bulk load): all of
    /// them, in order, or none. Their ids, in the same order.
    async fn import_cases(&self, cases: &[NewCase]) -> Result<Vec<String>>;
    /// A case's report.
    async fn report(&self, case_id: &str) -> Result<ReportRecord>;
    /// A case's attachments (metadata).
    async fn attachments(&self, case_id: &str) -> Result<Vec<Attachment>>;
    /// Keeps what the gates refused on a case (the latest [`GATE_REFUSALS_KEPT`] per
    /// case: a caller repeating a refused request grows nothing without bound).
    async fn refuse_event(&self, refusal: &GateRefusal) -> Result<()>;
    /// What the gates refused on a case, oldest first.
    async fn gate_refusals(&self, case_id: &str) -> Result<Vec<GateRefusal>>;
    /// One attachment with its content.
    async fn attachment(&self, case_id: &str, id: &str) -> Result<(Attachment, Vec<u8>)>;

    /// A case's record.
    async fn case(&self, id: &str) -> Result<CaseRecord>;
    /// Every case, oldest first.
    async fn list_cases(&self) -> Result<Vec<CaseRecord>>;
    /// A case whole as one snapshot sees it (one statement): its record, parties, products,
    /// events and [`Coordination::one_product_until`], agreeing with each other (no
    /// first warning).
    async fn case_snapshot(&self, id: &str) -> Result<projections::CaseSnapshot>;
    /// [`Store::case_snapshot`] and the case's report (none when it has none) in the
    /// same statement: what a reader of the case shown whole needs, read at once.
    async fn case_snapshot_with_report(
        &self,
        id: &str,
    ) -> Result<(projections::CaseSnapshot, Option<ReportRecord>)>;
    /// A case's parties, in the order they joined.
    async fn case_parties(&self, case_id: &str) -> Result<Vec<Fragment>>;
    /// A case's products.
    async fn case_products(&self, case_id: &str) -> Result<Vec<Fragment>>;
    /// A case's events, in log order.
    async fn events(&self, case_id: &str) -> Result<Vec<StoredEvent>>;
    /// Appends events (chaining each to the previous), adds parties and writes outbox
    /// messages, in one transaction. Returns the appended events.
    async fn change_case(
        &self,
        case_id: &str,
        change: &CaseChange,
        at: Timestamp,
    ) -> Result<Vec<StoredEvent>>;
    /// Sets (or clears) the planned public date; the history is kept.
    async fn set_embargo(
        &self,
        case_id: &str,
        planned: Option<Timestamp>,
        by: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    /// Adds a comment.
    async fn add_comment(
        &self,
        case_id: &str,
        account_id: Option<&str>,
        body: &str,
        at: Timestamp,
    ) -> Result<Comment>;
    /// A case's comments, oldest first.
    async fn comments(&self, case_id: &str) -> Result<Vec<Comment>>;

    /// The receipt log, oldest first.
    async fn receipts(&self) -> Result<Vec<Receipt>>;
    /// Deletes receipts received before `before`; refused if that would delete any
    /// receipt younger than `min_age_months` at `now`.
    async fn purge_receipts(&self, before: Timestamp, now: Timestamp, min_age_months: u32) -> Result<u64>;

    /// Claims up to `limit` undelivered messages whose previous claim has lapsed, for
    /// `lease_seconds` (several workers may share a database).
    async fn claim_outbox(
        &self,
        limit: i64,
        now: Timestamp,
        lease_seconds: i64,
    ) -> Result<Vec<OutboxMessage>>;
    /// Marks a message delivered.
    async fn complete_outbox(&self, id: &str, at: Timestamp) -> Result<()>;

    /// Every case id, oldest first.
    async fn case_ids(&self) -> Result<Vec<String>>;
    /// One page of the case ids by id, after `after`, at most `limit` (a sweep of every
    /// case, a page at a time).
    async fn case_ids_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<String>>;

    /// Stores a signed checkpoint (again for the same chain, head and key: nothing).
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()>;

    /// Every signed checkpoint, by chain and position.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>>;

    /// Every chain with its hashes in `seq` order: `case/<id>` for each case's events,
    /// `org/<id>` for each organisation's log.
    async fn chains(&self) -> Result<std::collections::HashMap<String, Vec<String>>> {
        let mut chains = std::collections::HashMap::new();
        for case_id in self.case_ids().await? {
            let hashes = self.events(&case_id).await?.into_iter().map(|e| e.hash).collect();
            chains.insert(format!("case/{case_id}"), hashes);
        }
        for org_id in self.org_log_ids().await? {
            let hashes = self.org_events(&org_id).await?.into_iter().map(|e| e.hash).collect();
            chains.insert(format!("org/{org_id}"), hashes);
        }
        Ok(chains)
    }

    /// Signs the head of every chain that `signer` has not signed at that head yet;
    /// returns how many checkpoints it wrote. Only the chains appended to since the last
    /// pass are read (all of them once for a key other than the one that signed last).
    async fn sign_heads(&self, signer: &checkpoint::Signer, now: Timestamp) -> Result<usize>;

    /// [`Store::sign_heads`] for the chain of case `case_id` alone (a publication is
    /// signed at once).
    async fn sign_case_head(
        &self,
        signer: &checkpoint::Signer,
        case_id: &str,
        now: Timestamp,
    ) -> Result<usize>;

    /// Walks every case's hash chain, then every organisation's log, and names every
    /// broken link.
    async fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport { cases: 0, events: 0, org_logs: 0, org_events: 0, broken: Vec::new() };
        for case_id in self.case_ids().await? {
            let events = self.events(&case_id).await?;
            report.cases += 1;
            report.events += events.len();
            report.broken.extend(chain::verify_case(&case_id, &events));
        }
        for org_id in self.org_log_ids().await? {
            let events = self.org_events(&org_id).await?;
            report.org_logs += 1;
            report.org_events += events.len();
            report.broken.extend(chain::verify_org_log(&org_id, &events));
        }
        Ok(report)
    }
}

/// Opens the store a URL names, creating and migrating it as needed:
/// `postgres://...` (or `postgresql://`) for PostgreSQL; `sqlite:PATH` or a plain path
/// for SQLite.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    connect_sized(url, None).await
}

/// [`connect`] with PostgreSQL's pool holding at most `max_connections` (none:
/// [`PgStore::DEFAULT_CONNECTIONS`]; never fewer than [`PgStore::MIN_CONNECTIONS`]).
/// SQLite's pools keep their own sizes: one writer, and readers for its threads.
pub async fn connect_sized(url: &str, max_connections: Option<u32>) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let max_connections = max_connections.unwrap_or(PgStore::DEFAULT_CONNECTIONS);
        Ok(Arc::new(PgStore::connect_sized(url, max_connections).await?))
    } else {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        Ok(Arc::new(SqliteStore::open(std::path::Path::new(path)).await?))
    }
}

/// A new random identifier: 32 hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    hex::encode(bytes)
}

/// A new identifier that sorts by creation, for the key of a row written in bulk (a
/// report's case, report, receipt, attachments and outbox message): 32 hex digits, the
/// first 12 the milliseconds since the Unix epoch, the other 20 random (80 bits). Rows
/// written together then share the last pages of their tables' and indexes' b-trees;
/// with random keys each row of a group of reports landed on a page of its own, and
/// each such page is written again at every commit (bench/README.md, intake). It tells
/// its holder when it was made, so it is never a secret: tokens take [`new_id`].
pub fn new_ordered_id() -> String {
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(millis << 16).to_be_bytes());
    fill_random(&mut bytes[6..]);
    hex::encode(bytes)
}

/// The placeholders of a list of `count` bound values numbered from `first`, for an
/// `IN (…)`: `$3, $4, $5` for `placeholders(3, 3)`.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Fills `bytes` from the operating system's random source.
pub fn fill_random(bytes: &mut [u8]) {
    // The OS random source failing is not recoverable; there is no sensible fallback.
    getrandom::fill(bytes).expect("the operating system's random source failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis_of(id: &str) -> i64 {
        i64::from_str_radix(&id[..12], 16).expect("12 hex digits of time")
    }

    #[test]
    fn placeholders_number_a_list_from_its_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 1), "$1");
        assert_eq!(placeholders(4, 0), "");
    }

    #[test]
    fn an_ordered_id_is_its_millisecond_then_random_digits() {
        let before = chrono::Utc::now().timestamp_millis();
        let id = new_ordered_id();
        let after = chrono::Utc::now().timestamp_millis();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
        assert!((before..=after).contains(&millis_of(&id)), "{id} made between {before} and {after}");
    }

    #[test]
    fn ordered_ids_are_distinct_within_a_millisecond_and_sort_across_them() {
        let ids: Vec<String> = (0..10_000).map(|_| new_ordered_id()).collect();
        let distinct: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(distinct.len(), ids.len());
        let first = new_ordered_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_ordered_id();
        assert!(millis_of(&later) > millis_of(&first));
        assert!(later > first, "{later} sorts after {first}");
    }
}
