//! The SQLite back end: one file, WAL journal, `synchronous = FULL` (a write the caller
//! was told succeeded survives a crash), foreign keys on. Writes go through a pool of
//! one connection, so write transactions never race for SQLite's lock; reads use a
//! pool of their own; a connection of its own copies the WAL's pages into the database
//! file (checkpoints), off the writer's commits.

#![allow(clippy::duplicate_mod)]

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};

use self::queries::{IntervalMemo, ProjectorSlot};
use crate::group::GroupCommit;
use crate::rows::insert_sqlite as insert_rows;
use crate::{Backend, Intake, Result};

type Db = Sqlite;
type Inner = SqliteStore;
const BACKEND: Backend = Backend::Sqlite;
/// SQLite has no row locks: the single writer connection serialises writes.
const FOR_UPDATE: &str = "";
const SKIP_LOCKED: &str = "";
/// Intake is written in groups (`group.rs`): the single writer connection commits one
/// group per fsync instead of one report per fsync.
const GROUP_COMMIT: bool = true;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Pool<Sqlite>,
    reader: Pool<Sqlite>,
    projector: ProjectorSlot,
    interval_memo: IntervalMemo,
    intake: GroupCommit<queries::PreparedReport, Intake>,
    /// Held by every clone of the store: the checkpointer stops once the last is dropped.
    _checkpointer: Arc<()>,
}

/// How often the checkpointer copies what the WAL holds into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The WAL's length, in pages, at which the writer checkpoints in its own commit (SQLite's
/// default is 1,000): a bound for when the checkpointer cannot keep up, never reached
/// while it does.
const WRITER_CHECKPOINT_PAGES: &str = "10000";

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database file at `path`.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let writer = sqlite_pool(1)
            .connect_with(options.clone().pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        queries::m_build_index(&writer).await?;
        queries::build_org_search(&writer).await?;
        drop_value_samples(&writer).await?;
        let reader = sqlite_pool(8).connect_with(options.clone().read_only(true)).await?;
        let alive = Arc::new(());
        spawn_checkpointer(options, Arc::downgrade(&alive));
        Ok(SqliteStore {
            writer,
            reader,
            projector: ProjectorSlot::default(),
            interval_memo: IntervalMemo::default(),
            intake: GroupCommit::default(),
            _checkpointer: alive,
        })
    }

    /// Gathers the planner's statistics of every table and index (`ANALYZE`), as an
    /// operator does after a bulk load or a restore, keeping the per-index figures
    /// (`sqlite_stat1`) and dropping the samples of index values (`sqlite_stat4`): with
    /// samples, SQLite prepares a statement again each time its bound values change.
    pub async fn gather_statistics(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.writer).await?;
        drop_value_samples(&self.writer).await
    }

    /// The pool that writes, for tests that must reach under the store (e.g. to show
    /// that the event log refuses updates).
    pub fn raw_pool(&self) -> &Pool<Sqlite> {
        &self.writer
    }
}

/// The options of each of the store's pools, holding at most `max_connections`. No ping
/// before a connection is lent (sqlx's `test_before_acquire`): a SQLite connection is a
/// thread of this process on a local file, which no peer can drop, and sqlx pings each one
/// as it comes back to the pool anyway. The ping cost a hand-off to that thread and back
/// for every statement a request ran.
fn sqlite_pool(max_connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new().max_connections(max_connections).test_before_acquire(false)
}

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] on a connection of its own (opened at
/// the first tick), until the store (`alive`) is dropped. Left to the writer, the commit
/// that takes the WAL past SQLite's threshold copies its pages into the database file and
/// syncs it before it returns; here that work runs beside the writer's commits. A passive
/// checkpoint waits for no one: it copies what no reader still needs and stops there, and
/// the next tick goes on. A failure is logged and the next tick tries again (the writer's
/// own checkpoint at [`WRITER_CHECKPOINT_PAGES`] remains the bound).
fn spawn_checkpointer(options: SqliteConnectOptions, alive: Weak<()>) {
    let pool = sqlite_pool(1).connect_lazy_with(options);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
        pool.close().await;
    });
}

/// Drops SQLite's samples of index values (`sqlite_stat4`, written by `ANALYZE` in a
/// build with STAT4, as the bundled SQLite is), keeping the per-index figures
/// (`sqlite_stat1`). With samples, every statement whose plan could depend on a bound
/// value is prepared again each time it runs with new values (dropping them cut an
/// intake's CPU by about a sixth; bench/README.md, intake). The store's statements are written for their
/// indexes, not for a value's frequency. Dropping the table changes the schema, so
/// every connection reloads its statistics.
async fn drop_value_samples(writer: &Pool<Sqlite>) -> Result<()> {
    sqlx::query("DROP TABLE IF EXISTS sqlite_stat4").execute(writer).await?;
    Ok(())
}

// The query set, written once for both back ends (`queries.rs`).
#[path = "queries.rs"]
mod queries;
