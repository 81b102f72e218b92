//! The PostgreSQL back end: one pool; the case row is locked (`FOR UPDATE`) while
//! events are appended, and outbox workers claim messages with `FOR UPDATE SKIP
//! LOCKED`, so several server processes can share one database.

#![allow(clippy::duplicate_mod)]

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres};

use self::queries::{IntervalMemo, ProjectorSlot};
use crate::group::GroupCommit;
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
    /// Connects to `url` and migrates the schema.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let options: PgConnectOptions = url.parse()?;
        PgStore::connect_with(options).await
    }

    /// Connects with `options` (e.g. with a `search_path` for a test schema) and
    /// migrates the schema.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PgStore> {
        let pool = PgPoolOptions::new().max_connections(16).connect_with(options).await?;
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

// The query set, written once for both back ends (`queries.rs`).
#[path = "queries.rs"]
mod queries;
