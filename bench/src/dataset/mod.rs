//! The generated data set of a national platform (issue 18): deterministic from a seed
//! and clearly synthetic (every name says `[generated]` or `synthetic`, every record id
//! starts with `SYN-`). Organisations with their roles, cases over ten years with their
//! events, vulnerability records (most of them of published cases) and the asset
//! inventories of industry units — all written through the store as the application
//! writes them, the case views by the server's projector.
//!
//! [`Shape`] says how much; [`generate`] writes it, printing progress and rates.

mod cases;
mod inventories;
mod orgs;
mod records;

use std::sync::Arc;
use std::time::{Duration, Instant};

use vulnrelay_store::Store;

pub use cases::{YEARS, end};
pub use orgs::PLATFORM;
pub use records::first_case_record;

/// How much to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Cases (ten events each on average, fourteen when published).
    pub cases: usize,
    /// Organisations: one platform, then a fifth reporters, three fifths providers and
    /// the rest industry units.
    pub orgs: usize,
    /// Vulnerability records; two thirds belong to published cases.
    pub records: usize,
    /// Asset inventories (asset groups) of the industry units.
    pub inventories: usize,
    /// Components per inventory.
    pub components: usize,
    /// The seed: the same seed and shape give the same data.
    pub seed: u64,
    /// Writes in flight at once (SQLite has one writer; PostgreSQL gains from a few).
    pub jobs: usize,
    /// Cases per transaction (1: each case in its own, as intake writes them).
    pub batch: usize,
}

impl Shape {
    /// The national size: 1,000,000 cases, 5,000 organisations, 300,000 records,
    /// 100,000 inventories of 100 components.
    pub fn national() -> Shape {
        Shape::scaled(1_000_000)
    }

    /// The national shape scaled to `cases` (records and inventories in proportion, the
    /// organisations kept at 5,000).
    pub fn scaled(cases: usize) -> Shape {
        Shape {
            cases,
            orgs: 5_000,
            records: cases * 3 / 10,
            inventories: cases / 10,
            components: 100,
            seed: 18,
            jobs: 1,
            batch: 500,
        }
    }

    /// How many organisations of each kind: (reporters, providers, industry units).
    pub fn kinds(&self) -> (usize, usize, usize) {
        orgs::counts(self)
    }
}

/// A small deterministic generator (SplitMix64), so every run builds the same data.
#[derive(Debug, Clone)]
pub struct Mix(u64);

impl Mix {
    /// A generator for stream `stream` of `seed` (each kind of data has its own, so one
    /// kind's size does not change another's values).
    pub fn new(seed: u64, stream: u64) -> Mix {
        Mix(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// What a generation wrote and how long each part took.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// Cases written.
    pub cases: usize,
    /// Events written with them.
    pub events: usize,
    /// Of the cases, the published ones.
    pub published: usize,
    /// Records written.
    pub records: usize,
    /// Inventories written.
    pub inventories: usize,
    /// Time per part: organisations, cases, records, inventories.
    pub took: [Duration; 4],
}

/// Writes the data set of `shape` into `store` (which must hold no generated data yet
/// and have the server's projector set, or none to leave the views to a rebuild).
pub async fn generate(store: &Arc<dyn Store>, shape: &Shape) -> Result<Generated, String> {
    if store.org(orgs::PLATFORM).await.is_ok() {
        return Err("the database already holds a generated data set (organisation `platform`)".into());
    }
    let mut generated = Generated::default();
    let started = Instant::now();
    orgs::write(store.as_ref(), shape).await.map_err(|e| format!("organisations: {e}"))?;
    generated.took[0] = started.elapsed();
    let started = Instant::now();
    let published = cases::write(store, shape, &mut generated).await?;
    generated.took[1] = started.elapsed();
    let started = Instant::now();
    generated.records = records::write(store, shape, &published).await?;
    generated.took[2] = started.elapsed();
    let started = Instant::now();
    generated.inventories = inventories::write(store, shape).await?;
    generated.took[3] = started.elapsed();
    Ok(generated)
}

/// Prints a progress line about every five seconds: done of total and the rate.
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    total: usize,
    per_task: usize,
    started: Instant,
    printed: Instant,
}

impl Progress {
    /// Progress of `total` items of `what`, one per task.
    pub fn new(what: &'static str, total: usize) -> Progress {
        Progress::batched(what, total, 1)
    }

    /// Progress of `total` items of `what`, `per_task` per task (the last may hold fewer).
    pub fn batched(what: &'static str, total: usize, per_task: usize) -> Progress {
        let now = Instant::now();
        Progress { what, total, per_task: per_task.max(1), started: now, printed: now }
    }

    /// Notes that `tasks` tasks are done.
    pub fn tick(&mut self, tasks: usize) {
        let done = (tasks * self.per_task).min(self.total);
        if self.printed.elapsed() >= Duration::from_secs(5) || done == self.total {
            self.printed = Instant::now();
            let seconds = self.started.elapsed().as_secs_f64();
            eprintln!(
                "  {}: {done}/{} in {seconds:.0} s ({:.0}/s)",
                self.what,
                self.total,
                done as f64 / seconds.max(1e-9)
            );
        }
    }
}

/// Runs `task(i)` for `i` in `0..n` with at most `jobs` in flight, in order of start,
/// returning their results in index order; stops at the first error.
pub(crate) async fn run_bounded<T, F, Fut>(
    n: usize,
    jobs: usize,
    progress: &mut Progress,
    mut task: F,
) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
{
    let mut results: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut running = tokio::task::JoinSet::new();
    let mut done = 0;
    for i in 0..n {
        if running.len() >= jobs.max(1) {
            let (index, value) =
                running.join_next().await.expect("a running task").map_err(|e| e.to_string())?;
            results[index] = Some(value?);
            done += 1;
            progress.tick(done);
        }
        let future = task(i);
        running.spawn(async move { (i, future.await) });
    }
    while let Some(joined) = running.join_next().await {
        let (index, value) = joined.map_err(|e| e.to_string())?;
        results[index] = Some(value?);
        done += 1;
        progress.tick(done);
    }
    Ok(results.into_iter().flatten().collect())
}

/// An opened database to generate into or measure: the store, and the SQLite store
/// behind it when it is one (for its pragmas).
#[derive(Clone)]
pub struct Database {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The same store as SQLite, when it is.
    pub sqlite: Option<vulnrelay_store::SqliteStore>,
    /// The PostgreSQL URL, when it is one (its schema in its `search_path`).
    pub postgres_url: Option<String>,
}

impl Database {
    /// Opens (creating and migrating) `db`: a `postgres://` URL or a SQLite file path.
    pub async fn open(db: &str) -> Result<Database, String> {
        Database::open_sized(db, None).await
    }

    /// [`Database::open`] with PostgreSQL's pool holding at most `max_connections`
    /// (none: the store's default; see [`vulnrelay_store::connect_sized`]).
    pub async fn open_sized(db: &str, max_connections: Option<u32>) -> Result<Database, String> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            let store = vulnrelay_store::connect_sized(db, max_connections)
                .await
                .map_err(|e| format!("{db}: {e}"))?;
            return Ok(Database { store, sqlite: None, postgres_url: Some(db.to_owned()) });
        }
        let path = db.strip_prefix("sqlite:").unwrap_or(db);
        let sqlite = vulnrelay_store::SqliteStore::open(std::path::Path::new(path))
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        Ok(Database { store: Arc::new(sqlite.clone()), sqlite: Some(sqlite), postgres_url: None })
    }

    /// Opens `db` to be measured without changing a SQLite file: such a file is copied
    /// into `dir` first and the copy opened; a PostgreSQL database is opened in place.
    pub async fn open_copy(db: &str, dir: &std::path::Path) -> Result<Database, String> {
        if db.starts_with("postgres") {
            return Database::open(db).await;
        }
        let copy = dir.join("measured.db");
        std::fs::copy(db, &copy).map_err(|e| format!("a copy of {db}: {e}"))?;
        Database::open(copy.to_str().ok_or("a temporary path that is not UTF-8")?).await
    }

    /// Gathers the planner's statistics of every table, as an operator does after a bulk
    /// load or a restore (PostgreSQL's autovacuum would in time; until it does, a plan
    /// may rest on the statistics of a far smaller table).
    pub async fn analyze(&self) -> Result<(), String> {
        use sqlx::{Connection, Executor, Row};
        if let Some(sqlite) = &self.sqlite {
            sqlite.gather_statistics().await.map_err(|e| e.to_string())?;
        }
        if let Some(url) = &self.postgres_url {
            let mut connection = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
            let tables: Vec<String> =
                sqlx::query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                    .fetch_all(&mut connection)
                    .await
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(|row| row.get("tablename"))
                    .collect();
            for table in tables {
                connection
                    .execute(format!("ANALYZE \"{table}\"").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// The name of the back end.
    pub fn name(&self) -> &'static str {
        if self.sqlite.is_some() { "SQLite" } else { "PostgreSQL" }
    }

    /// On SQLite, whether each commit waits for the disk (`synchronous = FULL`) or not
    /// (`OFF`, for a bulk load that is redone if it fails); nothing on PostgreSQL.
    pub async fn set_durable(&self, durable: bool) -> Result<(), String> {
        use sqlx::Executor;
        if let Some(sqlite) = &self.sqlite {
            let pragma = if durable { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = OFF" };
            sqlite.raw_pool().execute(pragma).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// The projector `vulnrelay serve` uses with its default settings (the shipped policy
/// packs): the case views the generator writes are those the server would.
pub fn server_projector() -> Arc<vulnrelay_server::projection::CaseProjector> {
    let packs = vulnrelay_policy::builtin_packs().expect("the shipped policy packs load");
    Arc::new(vulnrelay_server::projection::CaseProjector::new(packs, vulnrelay_policy::Settings::default()))
}
