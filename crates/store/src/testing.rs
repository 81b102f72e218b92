//! Test support: a fresh store per test on every back end available.
//!
//! SQLite is always available (a file in a temporary directory). PostgreSQL is used
//! when `VULNRELAY_TEST_DATABASE_URL` is set: each test gets a schema of its own,
//! `vr_test_<unix time>_<random>`, dropped when the test's [`TestDb`] is dropped (even
//! when the test panics); schemas left over by killed runs are swept when older than an
//! hour.

use std::future::Future;
use std::sync::Arc;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::{PgStore, SqliteStore, Store};

/// The environment variable naming the PostgreSQL server for tests.
pub const DATABASE_URL_VAR: &str = "VULNRELAY_TEST_DATABASE_URL";

/// A store made for one test, removed when dropped.
pub struct TestDb {
    /// The store.
    pub store: Arc<dyn Store>,
    /// A URL that opens the same database (for a server process started by the test).
    pub url: String,
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh SQLite store in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("test.db");
        let store = SqliteStore::open(&path).await.expect("open SQLite");
        TestDb {
            store: Arc::new(store),
            url: format!("sqlite:{}", path.display()),
            name: "sqlite",
            schema: None,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL schema, when `VULNRELAY_TEST_DATABASE_URL` is set.
    pub async fn postgres() -> Option<TestDb> {
        let base = std::env::var(DATABASE_URL_VAR).ok().filter(|url| !url.is_empty())?;
        Some(TestDb::postgres_at(&base).await)
    }

    /// A fresh schema of its own on the PostgreSQL server at `base` (a benchmark's
    /// database, named otherwise than by `VULNRELAY_TEST_DATABASE_URL`).
    pub async fn postgres_at(base: &str) -> TestDb {
        let base = base.to_owned();
        let mut admin = PgConnection::connect(&base).await.expect("connect to the PostgreSQL server");
        sweep(&mut admin).await;
        let now = chrono::Utc::now().timestamp();
        let schema = format!("vr_test_{now}_{}", &crate::new_id()[..12]);
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("create schema");
        let _ = admin.close().await;
        let options: PgConnectOptions = base.parse().expect("a PostgreSQL URL");
        // The schema's name is also its connections' application name, so that cleanup
        // can end them (an abandoned transaction may hold locks) before dropping it.
        let options = options.options([("search_path", schema.as_str())]).application_name(&schema);
        let store = PgStore::connect_with(options).await.expect("open PostgreSQL");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}&application_name={schema}");
        TestDb { store: Arc::new(store), url, name: "postgres", schema: Some((base, schema)), _dir: None }
    }

    /// Every back end available: SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }
}

/// Runs `test` once per available back end, each with a fresh store.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in TestDb::all().await {
        eprintln!("-- back end: {}", db.name);
        test(db).await;
    }
}

/// Drops test schemas older than an hour (left by runs that were killed).
async fn sweep(admin: &mut PgConnection) {
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'vr\\_test\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let created = name.split('_').nth(2).and_then(|t| t.parse::<i64>().ok());
        if created.is_some_and(|t| t < cutoff) {
            let _ = sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind(&name)
            .execute(&mut *admin)
            .await;
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut *admin).await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.schema.take() else { return };
        // Drop runs outside any runtime guarantee: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(mut admin) = PgConnection::connect(&base).await {
                        let _ = sqlx::query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                        )
                        .bind(&schema)
                        .execute(&mut admin)
                        .await;
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut admin).await;
                        let _ = admin.close().await;
                    }
                });
            }
        })
        .join();
    }
}
