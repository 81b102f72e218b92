// The query set of both back ends, a module of `sqlite.rs` and of `postgres.rs` (so
// compiled once per back end, which is why they allow clippy's `duplicate_mod`). Each
// back end defines `Db` (the sqlx database), `Inner` (the store struct with `writer`,
// `reader`, `projector` and `interval_memo`), `BACKEND`, and `FOR_UPDATE` / `SKIP_LOCKED` (row-locking
// suffixes: empty on SQLite, whose single writer connection serialises every write),
// `GROUP_COMMIT` (whether intake is written in groups, `group.rs`, through `intake`),
// `insert_rows` (its multi-row `INSERT`, `rows.rs`);
// the modules below name them as `super::Db` and so on, through the imports here.

mod checkpoints_sql;
mod common;
mod coordination_sql;
mod federation_sql;
mod match_sql;
mod org_log_sql;
mod projections_sql;
mod publication_sql;
mod records_sql;
mod staged;
mod warnings_sql;

pub(crate) use self::common::{PreparedReport, build_org_search};
pub(crate) use self::match_sql::m_build_index;
pub(crate) use self::projections_sql::{IntervalMemo, ProjectorSlot};
use super::{BACKEND, Db, FOR_UPDATE, GROUP_COMMIT, Inner, SKIP_LOCKED, insert_rows};
