//! The PostgreSQL back end: one pool; the case row is locked (`FOR UPDATE`) while
//! events are appended, and outbox workers claim messages with `FOR UPDATE SKIP
//! LOCKED`, so several server processes can share one database.

#![allow(clippy::duplicate_mod)]

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres};
use std::time::Duration;

use self::queries::{IntervalMemo, ProjectorSlot};
use crate::group::GroupCommit;
use crate::rows::insert_postgres as insert_rows;
use crate::{Backend, Intake, Result};

type Db = Postgres;
type Inner = PgStore;
const BACKEND: Backend = Backend::Postgres;
const FOR_UPDATE: &str = " FOR UPDATE";
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
/// Intake is written in groups, as on SQLite: a group's rows go out a table at a time
/// (`Staged::write_all`), a dozen round trips for the whole group, and its kept totals
/// are written once for the group, so concurrent reports no longer wait on each
/// other's locks of the same total rows.
const GROUP_COMMIT: bool = true;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    writer: Pool<Postgres>,
    reader: Pool<Postgres>,
    projector: ProjectorSlot,
    interval_memo: IntervalMemo,
    intake: GroupCommit<queries::PreparedReport, Intake>,
}

impl PgStore {
    /// How many connections a store's pool holds unless told otherwise.
    pub const DEFAULT_CONNECTIONS: u32 = 16;

    /// The fewest connections a store's pool holds, whatever it is told: intake's group
    /// commit holds one for each group's transaction and the background workers
    /// (deliveries, checkpoints, sweeps) one each while they run, beside the requests'
    /// reads.
    pub const MIN_CONNECTIONS: u32 = 4;

    /// Connects to `url` and migrates the schema.
    pub async fn connect(url: &str) -> Result<PgStore> {
        PgStore::connect_sized(url, PgStore::DEFAULT_CONNECTIONS).await
    }

    /// [`PgStore::connect`] with a pool of at most `max_connections` (at least
    /// [`PgStore::MIN_CONNECTIONS`]).
    pub async fn connect_sized(url: &str, max_connections: u32) -> Result<PgStore> {
        let options: PgConnectOptions = url.parse()?;
        PgStore::open(options, max_connections).await
    }

    /// Connects with `options` (e.g. with a `search_path` for a test schema) and
    /// migrates the schema.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PgStore> {
        PgStore::open(options, PgStore::DEFAULT_CONNECTIONS).await
    }

    /// Connects with `options` and a pool of at most `max_connections`, and migrates
    /// the schema.
    async fn open(options: PgConnectOptions, max_connections: u32) -> Result<PgStore> {
        let pool = pg_pool(max_connections.max(PgStore::MIN_CONNECTIONS)).connect_with(options).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        queries::m_build_index(&pool).await?;
        queries::build_org_search(&pool).await?;
        Ok(PgStore {
            writer: pool.clone(),
            reader: pool,
            projector: ProjectorSlot::default(),
            interval_memo: IntervalMemo::default(),
            intake: GroupCommit::default(),
        })
    }

    /// The pool, for tests that must reach under the store.
    pub fn raw_pool(&self) -> &Pool<Postgres> {
        &self.writer
    }
}

/// A pooled connection idle for longer than this is pinged before it is lent.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The options of the store's pool, holding at most `max_connections`. sqlx pings every
/// connection as it comes back to the pool, and by default again before it lends an idle
/// one (`test_before_acquire`): two round trips to the server around every statement,
/// waking its backend twice. Here a connection is pinged before it is lent only when it
/// has been idle for [`PING_IF_IDLE_FOR`] (sqlx's `before_acquire` hook): one the server
/// or the network dropped while it lay in the pool is still found before a statement
/// fails on it, and under load, where a connection lies idle for microseconds, a
/// statement costs one round trip and the ping on its return.
fn pg_pool(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(max_connections).test_before_acquire(false).before_acquire(
        |connection, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        },
    )
}

// The query set, written once for both back ends (`queries.rs`).
#[path = "queries.rs"]
mod queries;
